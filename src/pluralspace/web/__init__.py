"""Server-rendered pages: sign-in and (through the authorization endpoint) OAuth consent."""
