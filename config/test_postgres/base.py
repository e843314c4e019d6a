"""PostgreSQL for the test suite: emptying the database between transactional tests puts back
the rows the migrations created (the default Site, the root and home pages, the root collection,
Wagtail's groups and their permissions, content types), so no test depends on which tests ran
before it in the same process.

It empties tables with DELETE rather than TRUNCATE: on tables holding a few rows, TRUNCATE
creates and removes files for every table and index and costs seconds, DELETE milliseconds."""

from django.db.backends.postgresql import creation, operations

from config.postgres import base

SNAPSHOT_SCHEMA = "migrated"


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, *args, **kwargs):
        name = super().create_test_db(*args, **kwargs)
        self.keep_migrated_rows()
        return name

    def keep_migrated_rows(self) -> None:
        """Copy every table the migrations left rows in to a schema of its own."""
        quote = self.connection.ops.quote_name
        tables = self.connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE")
            cursor.execute(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}")
            for table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT FROM {quote(table)})")
                if cursor.fetchone()[0]:
                    cursor.execute(
                        f"CREATE TABLE {SNAPSHOT_SCHEMA}.{quote(table)} AS TABLE {quote(table)}"
                    )


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        kept = self.migrated_tables()
        # Foreign keys are checked at commit, once every table holds its rows again.
        statements = ["SET CONSTRAINTS ALL DEFERRED;"]
        statements += [f"DELETE FROM {self.quote_name(table)};" for table in tables]
        statements += [
            f"INSERT INTO {self.quote_name(table)} "
            f"SELECT * FROM {SNAPSHOT_SCHEMA}.{self.quote_name(table)};"
            for table in tables
            if table in kept
        ]
        return statements

    def migrated_tables(self) -> set[str]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [SNAPSHOT_SCHEMA],
            )
            return {name for (name,) in cursor.fetchall()}


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    ops_class = DatabaseOperations
