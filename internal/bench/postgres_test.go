package bench

import "os"

// postgresBackend is PostgreSQL at CTXSCHEMA_TEST_POSTGRES.
func postgresBackend() backend {
	be := backend{name: "postgres"}
	if os.Getenv("CTXSCHEMA_TEST_POSTGRES") == "" {
		be.skip = "CTXSCHEMA_TEST_POSTGRES is not set; set it to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL benchmarks"
		return be
	}
	be.skip = "the PostgreSQL dialect is not in this build yet"
	return be
}
