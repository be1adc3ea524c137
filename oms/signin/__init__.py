"""The console's front door: failed sign-ins throttled per account and per address (django-axes),
and the second factor staff give after their password (django-otp: an authenticator app, backup
codes). Everything here works for any view that signs in through ``django.contrib.auth``."""
