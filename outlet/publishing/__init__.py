"""Publishing: articles and who wrote them, sections, regions and topics, the media library, the metered paywall
and the membership and fundraiser prompts readers meet (app label "outlet", kept from before the move)."""
