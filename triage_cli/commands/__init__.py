"""The `triage` subcommands, one module per area; each has a `register(subparsers)`.

- `serve`: serve, setup, db
- `accounts`: properties, keys, users, tokens
- `reviews`: retention, erase, import, eval-redaction
- `learning`: eval, eval-touchpoints, train-touchpoints, train, calibrate, export
- `registry`: models (list, register, evaluate, promote, rollback, shadow)
- `bench`: bench
"""
