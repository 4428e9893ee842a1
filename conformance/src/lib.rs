//! Conformance: replays recorded request/response fixtures through the generated client.
