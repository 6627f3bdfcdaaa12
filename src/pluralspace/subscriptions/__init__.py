"""Who listens to events: the Server-Sent Events stream and webhooks (their routes, delivery jobs and signing).

Above `events` (which records and fans out) and `state`: the stream and the webhook routes need the app's state and
the caller's credentials, while `state` holds the event hub."""
