//! Networking: TCP (placeholder while the TCP module is written).
