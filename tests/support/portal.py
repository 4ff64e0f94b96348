"""What a partner does in the portal: shared with ops/bench, in ops/lib/portal_stack."""
from portal_stack.portal import create_partner_user, create_staff_user, login, totp  # noqa: F401
