"""What the commands that make a one-time link share."""
from django.conf import settings

from accounts import links
from partners import people


def print_link(command, user, kind, language):
    """Prints the user's fresh link, and mails it where mail is configured and PORTAL_URL names
    the portal: a mail needs the whole address, a person at the terminal can add it."""
    link = links.link_for(user)
    people.link_made(user)
    if not settings.PORTAL_URL:
        command.stdout.write(f"Link (PORTAL_URL is not set: put the portal's address in front): {link}")
        if settings.EMAIL_ENABLED and user.email:
            command.stdout.write("Not mailed: a mailed link needs PORTAL_URL.")
    else:
        command.stdout.write(f"Link: {link}")
        if links.send(user, kind, link, language):
            command.stdout.write(f"Mailed to {user.email}.")
        elif settings.EMAIL_ENABLED and user.email:
            command.stderr.write(f"Could not mail it to {user.email} (see the log); hand the link over yourself.")
    command.stdout.write(f"It works once, for {settings.INVITE_LINK_HOURS} hours.")
