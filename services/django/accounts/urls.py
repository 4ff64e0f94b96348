from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .views import LoginView, PasswordChangeView, PasswordResetConfirmView, PasswordResetView, set_language

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("login/code/", views.code, name="second_factor_code"),
    path("second-factor/", views.second_factor_page, name="second_factor"),
    path("second-factor/setup/", views.setup, name="second_factor_setup"),
    path("second-factor/recovery-codes/", views.recovery_codes, name="second_factor_recovery_codes"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("language/", set_language, name="set_language"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    # Invitations and reset links alike (accounts.links).
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
