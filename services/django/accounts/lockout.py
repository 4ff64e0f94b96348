"""At most LOGIN_FAIL_LIMIT passwords checked per username and per client address within any
LOGIN_LOCKOUT_SECONDS, also when the guesses arrive all at once.

Before a password is checked (a login, the admin's login, the old password of a password
change) an attempt is reserved: one transaction counts the username's and the address's
attempts in the window and, only when both are under the limit, stores a new one. SQLite takes
its write lock at BEGIN (transaction_mode IMMEDIATE in settings), so these transactions run one
after another across every Gunicorn worker, and two requests can never both take the last free
attempt. A refusal stores nothing, so attempts made while locked do not prolong the lock: it
ends when the oldest of the last LOGIN_FAIL_LIMIT attempts leaves the window.

A second factor's code is an attempt of its own, and the password before it is a success only
once the code is right (accounts.forms): signing in again cannot buy more guesses at the code.

Every reserved attempt counts, whatever becomes of it (a wrong password, a blank one that was
never checked, an inactive account, a crash), except a success: that one is taken back, and the
username's count starts again. The failures stay counted for the addresses they came from: one
success must not clear an address that is guessing other accounts.

A "Forgot your password?" request reserves an attempt too, for the client address and for the
e-mail address typed (as the username "mail:ADDRESS", which no username can be), and never gets
it back (accounts.forms.PasswordResetForm).

Not django-axes (8.3.1, the usual library): its backend asks whether the client is locked out,
and records a failure only after the password was checked (from the user_login_failed signal),
so requests that arrive together all pass the question and all get their password checked. With
AXES_FAILURE_LIMIT=5, 20 wrong passwords sent at once from threads on one SQLite file had all 20
checked, with its database handler and with its cache handler alike (its maintainers keep this
as a known issue they will not fix: jazzband/django-axes issue 592).
"""
import ipaddress
import math
import time

from django.conf import settings
from django.db import transaction

from .models import LoginAttempt


class LockedOut(Exception):
    def __init__(self, seconds):
        super().__init__(f"locked out for {seconds} more seconds")
        self.seconds = seconds


def client_address(request):
    # Only nginx reaches Django, and it sets X-Real-IP to the address it saw.
    for candidate in (request.META.get("HTTP_X_REAL_IP", ""), request.META.get("REMOTE_ADDR", "")):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return "unknown"


def reserve(username, address):
    """Takes one password check for the username (if any) and the address, and returns it for
    succeeded(); raises LockedOut, storing nothing, when either has none left."""
    username = username.casefold()
    with transaction.atomic():
        now = time.time()
        LoginAttempt.objects.filter(at__lte=now - settings.LOGIN_LOCKOUT_SECONDS).delete()
        counts = [LoginAttempt.objects.filter(address=address)]
        if username:
            counts.append(LoginAttempt.objects.filter(username=username))
        left = max(_seconds_left(attempts, now) for attempts in counts)
        if left:
            raise LockedOut(left)
        return LoginAttempt.objects.create(username=username, address=address, at=now)


def _seconds_left(attempts, now):
    limit = settings.LOGIN_FAIL_LIMIT
    oldest_of_the_last = list(attempts.order_by("-at").values_list("at", flat=True)[limit - 1:limit])
    if not oldest_of_the_last:
        return 0
    return math.ceil(oldest_of_the_last[0] + settings.LOGIN_LOCKOUT_SECONDS - now)


def succeeded(attempt, earlier_id=None):
    """The password was right: the attempt is taken back and its username counts from zero. A
    second factor's code passes the password's attempt too (earlier_id): the sign-in succeeded."""
    with transaction.atomic():
        attempt.delete()
        if earlier_id is not None:
            LoginAttempt.objects.filter(pk=earlier_id).delete()
        LoginAttempt.objects.filter(username=attempt.username).update(username="")
