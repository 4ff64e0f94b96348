"""What a partner does in the portal (an account, a login): shared with ops/bench, in ops/lib/portal_stack."""
from portal_stack.logins import create_partner_user, create_staff_user, login, totp  # noqa: F401
