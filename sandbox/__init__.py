"""Local stand-ins for outside services, run as separate processes (see README.md)."""
