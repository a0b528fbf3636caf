module github.com/ctxschema/ctxschema

go 1.26

require (
	github.com/jmoiron/sqlx v1.4.0
	github.com/mattn/go-sqlite3 v1.14.53
)

require github.com/google/go-cmp v0.7.0
