import csv

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from datasets.exports import defuse_formula
from partners.access import people_admin_required

from .models import Event

PER_PAGE = 50


@never_cache
@people_admin_required
def trail(request):
    """The acting partner's trail, newest first, for its admins (staff read every partner's in
    the admin). ?format=csv exports all of it, times in the portal's zone."""
    events = Event.objects.filter(partner_id=request.partner.id)
    if request.GET.get("format") == "csv":
        return _csv(request, events)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    context = {"partner": request.partner, "page": page, "retention_days": settings.AUDIT_RETENTION_DAYS}
    return render(request, "audit/trail.html", context)


def _csv(request, events):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{request.partner.slug}.csv"'
    # A BOM, as the dataset exports write: Excel then reads the Hangul as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([gettext("When"), gettext("Who"), gettext("What"), gettext("Whom or what"), gettext("Detail"), gettext("Address")])
    for event in events.iterator():
        writer.writerow([
            # Names and targets are typed by people: the exports' rule keeps them from running as formulas.
            timezone.localtime(event.at).isoformat(timespec="seconds"), defuse_formula(event.actor_name),
            event.get_action_display(), defuse_formula(event.target), defuse_formula(event.detail_display()),
            event.address,
        ])
    return response

