"""The conversation engine: (Incoming, ConversationState) → Reply, with no channel, HTTP or database code."""
