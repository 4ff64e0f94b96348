from django.contrib.auth import views as auth_views

from .forms import PasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        # The form counts the old password against the client's address too.
        return {**super().get_form_kwargs(), "request": self.request}
