/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway certificates for the TLS tests, made with the {@code openssl} command (installed by {@code .ci/run}) in a
 * directory the test owns, as {@code scripts/lib.sh} makes them for the benchmarks: a CA, a server certificate for
 * {@code 127.0.0.1} and {@code localhost} signed by it, and a second CA that signed nothing here (a loadgen trusting
 * only it must refuse the server). EC P-256 keys, unencrypted PKCS#8 PEM.
 */
final class TestCertificates
{
    final Path caCert;
    final Path otherCaCert;
    final Path serverCert;
    final Path serverKey;

    private TestCertificates(final Path dir)
    {
        caCert = dir.resolve("ca.pem");
        otherCaCert = dir.resolve("other-ca.pem");
        serverCert = dir.resolve("server.pem");
        serverKey = dir.resolve("server.key");
    }

    /**
     * @param dir a directory of the test's own.
     * @return the files, made.
     */
    static TestCertificates make(final Path dir) throws IOException, InterruptedException
    {
        final TestCertificates c = new TestCertificates(dir);
        for (final String ca : new String[]{"ca", "other-ca"})
        {
            openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=loadgen test " + ca);
        }
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
            StandardCharsets.US_ASCII);
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
        return c;
    }

    private static void openssl(final Path dir, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
    }
}
