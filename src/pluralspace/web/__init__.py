"""The page kit: the cookie session of signed-in pages, CSRF, flashes and templates. The pages themselves live with
what they show: sign-in, register, settings and reset in `accounts/`, OAuth consent in `oauth/router.py`."""
