"""Web services on a Ray cluster: Ray Serve applications (not built yet)."""
