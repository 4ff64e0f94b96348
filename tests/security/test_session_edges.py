"""An open analytics tab lives no longer than the sign-in behind it. Each way a sign-in ends (sign
out elsewhere, a password change, the user deactivated or taken off its partner, staff switching
partner, idle time, the session's lifetime) is done the way it happens in real life, while a tab
is open on a websocket of its own, and the tab's next reruns must show no data from then on."""
import secrets
import time

import pytest

from support.fresh import new_partner
from support.logins import create_staff_user, login
from support.streamlit_session import StreamlitSession
from support.uploads import small_csv, upload


def logout(stack, session):
    response = session.post(f"{stack.url}/accounts/logout/", data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
                            headers={"Referer": f"{stack.url}/"}, allow_redirects=False)
    assert response.status_code == 302


def drawn(tab):
    """Everything the tab's last run drew, as text: the elements' whole messages, so a dataset's
    name is found wherever it sits (a title, a picker's options, a caption)."""
    return "\n".join(str(element) for element in tab.elements)


def open_tab(stack, cookies, expect):
    """An analytics tab on a websocket of its own; its first run must show `expect`."""
    tab = StreamlitSession(stack.url, cookies=cookies)
    tab.rerun()
    assert expect in drawn(tab), f"the tab did not open on {expect!r}: {tab.texts()[:5]}"
    return tab


def rerun_until_signed_out(stack, tab, says):
    """Rerun, as a partner clicking in the tab would, until the tab says why it stopped. The
    gate's answer is kept for a moment: a few reruns may still come before it."""

    def stopped():
        tab.rerun()
        return any(says in text for text in tab.texts())

    stack.wait_until(f"the open tab to say {says!r}", stopped, timeout=60)
    return drawn(tab)


@pytest.fixture
def partner(stack):
    """A partner with one dataset, its user signed in."""
    partner = new_partner(stack, "tab")
    assert upload(partner.session, stack.url, small_csv(), name="before sign-out").status_code == 302
    return partner


def shell(stack, code):
    return stack.manage("shell", "-c", code)


def test_signing_out_in_another_tab_empties_the_open_one(stack, partner):
    tab = open_tab(stack, partner.cookies, "before sign-out")

    logout(stack, partner.session)
    # Uploaded after the sign-out, from a new sign-in: the old tab must never show it.
    fresh = login(stack.url, partner.username, partner.password)
    assert upload(fresh, stack.url, small_csv(tag="after"), name="after sign-out").status_code == 302

    shown = rerun_until_signed_out(stack, tab, "You are signed out of the portal")
    assert "before sign-out" not in shown and "after sign-out" not in shown
    assert "Signed in as" not in shown
    assert '/accounts/login/?next=/app/' in shown
    tab.rerun()
    assert "before sign-out" not in drawn(tab), "a later rerun shows data again"


def test_a_password_change_in_another_browser_empties_the_open_tab(stack, partner):
    tab = open_tab(stack, partner.cookies, "before sign-out")
    other = login(stack.url, partner.username, partner.password)
    form = f"{stack.url}/accounts/password_change/"
    other.get(form).raise_for_status()
    new_password = secrets.token_urlsafe(16)
    changed = other.post(form, data={"old_password": partner.password, "new_password1": new_password,
                                     "new_password2": new_password, "csrfmiddlewaretoken": other.cookies["csrftoken"]},
                         headers={"Referer": form}, allow_redirects=False)
    assert changed.status_code == 302, "the password change was refused"

    assert "before sign-out" not in rerun_until_signed_out(stack, tab, "You are signed out of the portal")
    assert partner.session.get(f"{stack.url}/", allow_redirects=False).status_code == 302, \
        "the portal signs the old browser out too, as the password page promises"


def test_a_deactivated_user_is_signed_out_of_the_open_tab(stack, partner):
    tab = open_tab(stack, partner.cookies, "before sign-out")

    shell(stack, "from django.contrib.auth import get_user_model; "
                 f"get_user_model().objects.filter(username={partner.username!r}).update(is_active=False)")

    assert "before sign-out" not in rerun_until_signed_out(stack, tab, "You are signed out of the portal")


def test_a_user_taken_off_its_partner_sees_nothing_more(stack, partner):
    tab = open_tab(stack, partner.cookies, "before sign-out")

    # As staff do it in the admin: the membership goes, the account stays.
    shell(stack, "from partners.models import Membership; "
                 f"[m.delete() for m in Membership.objects.filter(user__username={partner.username!r})]")

    assert "before sign-out" not in rerun_until_signed_out(stack, tab, "no longer linked to a partner")


def test_staff_switching_partner_leave_the_old_partners_tab_empty(stack, partner):
    other = new_partner(stack, "tab-other")
    username, password = create_staff_user(stack, f"tab-staff-{secrets.token_hex(3)}")
    staff = login(stack.url, username, password)

    def act_as(slug):
        response = staff.post(f"{stack.url}/partners/act-as/", data={"partner": slug,
                              "csrfmiddlewaretoken": staff.cookies["csrftoken"]},
                              headers={"Referer": f"{stack.url}/"}, allow_redirects=False)
        assert response.status_code == 302

    act_as(partner.slug)
    tab = open_tab(stack, {"sessionid": staff.cookies["sessionid"]}, "before sign-out")

    act_as(other.slug)

    assert "before sign-out" not in rerun_until_signed_out(stack, tab, "you now act for another partner")


def age_session(stack, session, signed_in=0, seen=0):
    """Move the session's clock back, as if its sign-in or its last request lay that far back."""
    shell(stack, "from accounts import sessions; "
                 f"s = sessions.SessionStore(session_key={session.cookies['sessionid']!r}); "
                 f"s[sessions.SIGNED_IN_AT] -= {signed_in}; s.seen_at -= {seen}; s.save()")


def test_a_session_idle_for_longer_than_allowed_ends_everywhere(stack, partner):
    idle_minutes = stack.setting("SESSION_IDLE_MINUTES")
    tab = open_tab(stack, partner.cookies, "before sign-out")

    age_session(stack, partner.session, seen=idle_minutes * 60 + 60)

    page = partner.session.get(f"{stack.url}/")
    assert page.url.startswith(f"{stack.url}/accounts/login/"), "the portal still lets the idle session in"
    assert f"signed out after {idle_minutes} minutes without activity" in page.text
    assert "before sign-out" not in rerun_until_signed_out(stack, tab, "You are signed out of the portal")


def test_a_session_ends_after_its_lifetime_however_busy(stack, partner):
    hours = stack.setting("SESSION_MAX_HOURS")
    tab = open_tab(stack, partner.cookies, "before sign-out")

    age_session(stack, partner.session, signed_in=hours * 3600 + 60)

    assert "before sign-out" not in rerun_until_signed_out(stack, tab, "has ended")
    assert partner.session.get(f"{stack.url}/", allow_redirects=False).status_code == 302


def test_the_session_cookie_lasts_no_longer_than_a_session_may(stack, http):
    hours = stack.setting("SESSION_MAX_HOURS")
    partner = new_partner(stack, "cookie")
    login_page = f"{stack.url}/accounts/login/"
    http.get(login_page)
    response = http.post(login_page, data={"username": partner.username, "password": partner.password,
                                           "csrfmiddlewaretoken": http.cookies["csrftoken"]},
                         headers={"Referer": login_page}, allow_redirects=False)
    (cookie,) = [c for c in response.cookies if c.name == "sessionid"]
    assert cookie.expires is not None and cookie.expires - time.time() <= hours * 3600 + 60


def test_an_analytics_tab_never_gets_djangos_cookies(stack):
    (nginx,) = stack.container_names("nginx")
    config = stack.host(nginx).check_output("nginx -T 2>/dev/null")
    # Every location that proxies to Streamlit includes this one file.
    streamlit_proxy = config.split("# configuration file /opt/nginx/streamlit-proxy.conf:")[1].split("# configuration file")[0]
    assert "proxy_set_header Cookie $streamlit_cookies;" in streamlit_proxy
    assert 'default "_streamlit_xsrf=$cookie__streamlit_xsrf";' in config
