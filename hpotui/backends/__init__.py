"""Backends: the embedded engine and the remote WML-A service, behind one interface."""
