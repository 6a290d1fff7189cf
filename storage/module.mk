# storage/: vault, catalog, audit log, wipe.
STORAGE_SRCS += storage/keys.c
STORAGE_SRCS += storage/wipe.c
STORAGE_SRCS += storage/catalog.c
STORAGE_SRCS += storage/catalog_schema.c
STORAGE_SRCS += storage/vault.c
STORAGE_SRCS += storage/memfile.c
STORAGE_SRCS += storage/audit.c
STORAGE_SRCS += storage/audit_format.c
STORAGE_SRCS += storage/audit_verify.c
STORAGE_SRCS += storage/audit_syslog.c
STORAGE_SRCS += storage/cert.c
STORAGE_SRCS += storage/store.c
STORAGE_SRCS += storage/store_mailbox.c
STORAGE_SRCS += storage/catalog_jobs.c
STORAGE_SRCS += storage/catalog_users.c
STORAGE_SRCS += storage/setupcode.c
STORAGE_SRCS += storage/catalog_devices.c
