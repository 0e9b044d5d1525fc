"""Reviews in and back out: store, read with the model, route; language, safety terms, the
model in use."""
