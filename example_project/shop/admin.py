"""The shop registers no admin of its own: Recur billing's admin shows credits, payments and
subscriptions."""
