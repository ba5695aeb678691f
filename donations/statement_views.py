"""A donor's year-end statement as a PDF download, from the account's receipts page (its section there is
donations.receipt_content.statements_section)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_GET

from donations import statements
from outlet.receipts.views import pdf_response


@login_required
@require_GET
def statement_pdf_view(request, year: int):
    if not statements.is_statement_year(year):
        raise Http404("No statement for that year.")
    statement = statements.build_statement(year=year, email=request.user.email, user_id=request.user.pk)
    if statement is None:
        raise Http404("No gifts that year.")
    from donations import statement_pdf  # fpdf is ~45 MB of every process's memory: loaded when a PDF is made

    return pdf_response(statement_pdf.render_statement(statement), f"statement-{year}.pdf")
