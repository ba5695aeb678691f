"""The shared rules for finding, blanking and masking a person's details (outlet.common.personal_data)."""

from __future__ import annotations

from outlet.common.personal_data import mask_email, mask_name, replace_in_text, scrub_json


def test_provider_payloads_lose_personal_fields_and_keep_ids_and_amounts():
    payload = {
        "id": "evt_1",
        "type": "invoice.paid",
        "data": {
            "object": {
                "id": "in_1",
                "customer": "cus_1",
                "customer_email": "ana@example.org",
                "customer_name": "Ana Beridze",
                "amount_paid": 1500,
                "currency": "gel",
                "customer_address": {"city": "Gori"},
                "charge": {"billing_details": {"email": "ana@example.org", "phone": "+995"}, "amount": 1500},
                "lines": [{"description": "Supporter for Ana Beridze", "amount": 1500}],
            }
        },
    }
    scrubbed = scrub_json(payload, needles=["Ana Beridze"])
    body = scrubbed["data"]["object"]
    assert body["customer_email"] == "" and body["customer_name"] == "" and body["customer_address"] == {}
    assert body["charge"]["billing_details"] == {} and body["charge"]["amount"] == 1500
    assert body["id"] == "in_1" and body["customer"] == "cus_1" and body["amount_paid"] == 1500
    assert body["lines"][0]["description"] == "Supporter for [erased]"
    assert "Ana" not in str(scrubbed)


def test_free_text_is_rewritten_ignoring_case_and_short_names_are_left_alone():
    assert replace_in_text("Receipt resent to ANA@example.org", ["ana@example.org"]) == "Receipt resent to [erased]"
    assert replace_in_text("Al went to Almaty", ["Al"]) == "Al went to Almaty"


def test_masks_show_enough_to_tell_donors_apart_and_not_to_write_to_them():
    assert mask_email("ana.beridze@gmail.com") == "a•••@g•••.com"
    assert mask_name("Ana Beridze") == "A••• B•••"
    assert mask_email("") == "" and mask_name("") == ""
