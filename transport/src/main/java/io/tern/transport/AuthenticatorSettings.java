/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * How the transport runs credential checks when authentication is on, already validated by the broker's
 * configuration.
 *
 * @param verifiers        verifier threads ({@code verifier-N}) that run the checks, at most one check each at a time.
 * @param maxPendingChecks logins with a complete first line waiting for a verifier, over all sources; past it a login
 *                         is answered {@code error: busy} and closed (the newest of the source holding the most).
 * @param maxFailures      failed logins from one source address within {@code failureWindowMs} after which its logins
 *                         are refused without a check for {@code backoffMs}; 0 for no throttling.
 * @param failureWindowMs  the window failures are counted in.
 * @param backoffMs        how long a throttled source's logins are refused.
 * @param maxSources       source addresses remembered at once (least recently seen evicted first).
 */
public record AuthenticatorSettings(
    int verifiers,
    int maxPendingChecks,
    int maxFailures,
    long failureWindowMs,
    long backoffMs,
    int maxSources)
{
    /** The broker's defaults: two verifiers, 256 waiting checks, 5 failures in 10 s refused for 30 s, 10,000 sources. */
    public static final AuthenticatorSettings DEFAULTS = new AuthenticatorSettings(2, 256, 5, 10_000, 30_000, 10_000);
}
