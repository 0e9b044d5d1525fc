"""The service: one composition root (`service.app.create_app`) that puts the machine API
and the people UI into one app and runs its background loops (`service.background`), and
the web plumbing both sides share (`service.web`, `service.errors`). `api` and
`review_ui` may import `service.web` and `service.errors`; only entry points (the CLI,
tools, bench, tests) import `service.app`.
"""
