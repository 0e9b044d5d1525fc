"""The database: engine and sessions, the ORM tables, migrations, deterministic samples."""
