"""A password hasher for the tests: Django's own PBKDF2-SHA256, with few iterations.

Django's default of a million iterations costs about a third of a second per password on a 2-core
machine, and 700 tests make four or more users each: minutes of the suite spent hashing. The hashes are
PBKDF2-SHA256 as production writes them (the iterations are part of the hash), so an app server started with
the production settings (tests/deploy) still checks them, and upgrades them on the first sign-in.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1_000
