# storage/: vault, catalog, audit log, wipe.
