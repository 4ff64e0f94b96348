from django.contrib.auth import views as auth_views
from django.views import i18n
from django.views.decorators.http import require_POST

from .forms import PasswordChangeForm
from .language import CODES, save_language


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        # The form counts the old password against the client's address too.
        return {**super().get_form_kwargs(), "request": self.request}


@require_POST
def set_language(request):
    """The switcher on every page: Django's own view sets the language cookie and goes back to the
    page (`next`, checked to be this site's); a signed-in user's choice is saved on the account,
    so it follows them to other browsers and into the analytics."""
    response = i18n.set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in CODES:
        save_language(request.user, language)
    return response
