"""SQLAlchemy 2 async persistence for SQLite and PostgreSQL."""
