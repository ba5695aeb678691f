"""Receipt pages. Thin: who may see which receipt is decided here (owner by Payment.user, guest by signed link);
what a receipt says is decided by outlet.receipts.services (with the products' describers) and .pdf.

Every miss is a 404, whether the receipt does not exist, belongs to someone else, or the link was tampered with:
a guesser learns nothing from the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from outlet.common.page_cache import keep_private, keep_url_secret
from outlet.receipts import describers
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _account(request: HttpRequest) -> User:
    """The signed-in reader (every caller is login_required): typed as the User it is."""
    return cast("User", request.user)


def _private(response: HttpResponse) -> HttpResponse:
    keep_private(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    keep_url_secret(response)  # the guest token is in the URL: never pass it on
    return response


def render_receipt(receipt: Receipt) -> bytes:
    """outlet.receipts.pdf, imported when a PDF is made: fpdf is ~45 MB of every process's memory otherwise."""
    from outlet.receipts import pdf

    return pdf.render_receipt(receipt)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return _private(response)


def _could_be_a_receipt_number(number: str) -> bool:
    """Anything typed into the address can reach here: a NUL byte is refused by PostgreSQL (a 500), and a number
    longer than the column can never match."""
    return "\x00" not in number and len(number) <= cast(int, Receipt._meta.get_field("number").max_length)


@login_required
@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    owned = (
        Receipt.objects.filter(payment__user=_account(request))
        .select_related("payment")
        .only("number", "kind", "description", "amount_minor", "currency", "issued_at", "voided_at", "payment__paid_at")
        .order_by("-issued_at", "-pk")[:500]
    )
    return _private(
        render(
            request,
            "receipts/list.html",
            {
                "receipts": owned,
                "sections": describers.account_sections(request),  # the products' own parts (statements)
            },
        )
    )


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    if not _could_be_a_receipt_number(number):
        raise Http404("No such receipt on your account.")
    receipt = (
        Receipt.objects.select_related("payment", "replaces")
        .filter(number=number, payment__user=_account(request))
        .order_by("-issued_at")
        .first()
    )
    if receipt is None:
        raise Http404("No such receipt on your account.")
    return pdf_response(render_receipt(receipt), f"receipt-{receipt.number}.pdf")


def _signed(token: str) -> Receipt:
    receipt = receipts.receipt_for_token(token)
    if receipt is None:
        raise Http404("This receipt link is not valid.")
    return receipt


@require_GET
def signed_receipt(request: HttpRequest, token: str) -> HttpResponse:
    receipt = _signed(token)
    return _private(
        render(
            request,
            "receipts/signed.html",
            {"receipt": receipt, "token": token, "issuer": settings.RECEIPT_ISSUER},
        )
    )


@require_GET
def signed_receipt_pdf(request: HttpRequest, token: str) -> HttpResponse:
    receipt = _signed(token)
    return pdf_response(render_receipt(receipt), f"receipt-{receipt.number}.pdf")
