/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.nio.file.Path;

import javax.net.ssl.SSLContext;

/**
 * The metrics' share of the broker's settings, already validated by the broker's configuration (plain values, so
 * this package does not depend on the broker's).
 *
 * @param adminBind       address of the admin HTTP endpoint.
 * @param adminPort       its port, 0 for any free one, -1 when it is off.
 * @param adminRequestTimeoutMs how long an admin client has to send its request, and again to take the response.
 * @param adminTokenFile  the file holding the admin token, or null for none.
 * @param statsIntervalMs how often to print the one-line summary, 0 for never.
 * @param histogramLogDir the directory for interval logs, or null for none.
 * @param adminTls        the server's TLS context when the admin endpoint speaks HTTPS only, or null for HTTP.
 * @param version         the broker's version, for {@code tern_build_info}.
 * @param commit          the commit it was built from, for {@code tern_build_info}.
 */
public record MetricsSettings(
    String adminBind,
    int adminPort,
    long adminRequestTimeoutMs,
    Path adminTokenFile,
    long statsIntervalMs,
    Path histogramLogDir,
    SSLContext adminTls,
    String version,
    String commit)
{
}
