# web/: the HTTPS interface (later issue).
