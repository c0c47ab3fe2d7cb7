"""Sign-in rules beyond Django's: demo accounts never work outside development."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

DEMO_PREFIX = "demo-"


class ModelBackendWithoutDemo(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        if not settings.DEBUG and user.get_username().startswith(DEMO_PREFIX):
            return False
        return super().user_can_authenticate(user)
