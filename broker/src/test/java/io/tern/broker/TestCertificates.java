/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Throwaway certificates for tests, made with the {@code openssl} command (installed by {@code .ci/run}) into a
 * directory the test owns: a CA, a server certificate for {@code 127.0.0.1} and {@code localhost} signed by it, a
 * client certificate signed by it, and a second CA that signed nothing of ours (a peer trusting only it trusts none of
 * these). Keys are PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}); the server's also as PKCS#12. The same as the
 * transport's test helper (test classes are not shared between modules); public for the campaign tests.
 */
public final class TestCertificates
{
    public static final String PKCS12_PASSWORD = "changeit";

    public final Path caCert;
    public final Path otherCaCert;
    public final Path serverCert;
    public final Path serverKey;
    public final Path serverPkcs12;
    public final Path clientCert;
    public final Path clientKey;
    /** A client certificate signed by the other CA: one the server must refuse. */
    public final Path strangerCert;
    public final Path strangerKey;

    private TestCertificates(final Path dir)
    {
        caCert = dir.resolve("ca.pem");
        otherCaCert = dir.resolve("other-ca.pem");
        serverCert = dir.resolve("server.pem");
        serverKey = dir.resolve("server.key");
        serverPkcs12 = dir.resolve("server.p12");
        clientCert = dir.resolve("client.pem");
        clientKey = dir.resolve("client.key");
        strangerCert = dir.resolve("stranger.pem");
        strangerKey = dir.resolve("stranger.key");
    }

    /**
     * Makes the set.
     *
     * @param dir   an empty directory.
     * @param keyAlgorithm {@code "ec"} (P-256) or {@code "rsa"} (2048 bits).
     * @return the files.
     */
    public static TestCertificates make(final Path dir, final String keyAlgorithm) throws IOException, InterruptedException
    {
        final TestCertificates c = new TestCertificates(dir);
        final String[] newKey = "rsa".equals(keyAlgorithm) ?
            new String[]{"-newkey", "rsa:2048"} : new String[]{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"};
        selfSigned(dir, newKey, "ca", "tern test CA");
        selfSigned(dir, newKey, "other-ca", "someone else's CA");
        final Path serverExt = dir.resolve("server.ext");
        Files.writeString(serverExt, "subjectAltName=IP:127.0.0.1,DNS:localhost\n", StandardCharsets.US_ASCII);
        signed(dir, newKey, "server", "localhost", "ca", serverExt);
        final Path clientExt = dir.resolve("client.ext");
        Files.writeString(clientExt, "extendedKeyUsage=clientAuth\n", StandardCharsets.US_ASCII);
        signed(dir, newKey, "client", "alice", "ca", clientExt);
        signed(dir, newKey, "stranger", "mallory", "other-ca", clientExt);
        openssl(dir, "pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key", "-out", "server.p12",
            "-passout", "pass:" + PKCS12_PASSWORD, "-name", "tern");
        return c;
    }

    private static void selfSigned(final Path dir, final String[] newKey, final String name, final String cn)
        throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of("req", "-x509"));
        args.addAll(List.of(newKey));
        args.addAll(List.of("-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=" + cn));
        openssl(dir, args.toArray(new String[0]));
    }

    private static void signed(
        final Path dir, final String[] newKey, final String name, final String cn, final String ca, final Path ext)
        throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of("req"));
        args.addAll(List.of(newKey));
        args.addAll(List.of("-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn));
        openssl(dir, args.toArray(new String[0]));
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", ext.getFileName().toString());
    }

    public static void openssl(final Path dir, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
        final byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " +
                new String(output, StandardCharsets.UTF_8));
        }
    }

    /**
     * A client that presents its certificate whatever CAs the server names: a JDK client otherwise sends none when its
     * issuer is not among them, and the broker would only see a client without a certificate.
     */
    public static SSLContext presenting(final Path cert, final Path key, final Path trustCa) throws Exception
    {
        final KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("client", io.tern.transport.TlsContexts.readPrivateKey(key), new char[0], io.tern.transport.TlsContexts.readCertificates(cert));
        final KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
        factory.init(keyStore, new char[0]);
        final X509ExtendedKeyManager keys = (X509ExtendedKeyManager)factory.getKeyManagers()[0];
        final X509ExtendedKeyManager anyIssuer = new X509ExtendedKeyManager()
        {
            @Override
            public String chooseEngineClientAlias(final String[] keyType, final Principal[] issuers,
                final SSLEngine engine)
            {
                return "client";
            }

            @Override
            public String chooseClientAlias(final String[] keyType, final Principal[] issuers, final Socket socket)
            {
                return "client";
            }

            @Override
            public String[] getClientAliases(final String keyType, final Principal[] issuers)
            {
                return new String[]{"client"};
            }

            @Override
            public String[] getServerAliases(final String keyType, final Principal[] issuers)
            {
                return null;
            }

            @Override
            public String chooseServerAlias(final String keyType, final Principal[] issuers, final Socket socket)
            {
                return null;
            }

            @Override
            public X509Certificate[] getCertificateChain(final String alias)
            {
                return keys.getCertificateChain(alias);
            }

            @Override
            public PrivateKey getPrivateKey(final String alias)
            {
                return keys.getPrivateKey(alias);
            }
        };
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[]{anyIssuer},
            new TrustManager[]{trustManager(trustCa)}, null);
        return context;
    }

    private static TrustManager trustManager(final Path ca) throws Exception
    {
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", io.tern.transport.TlsContexts.readCertificates(ca)[0]);
        final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        return factory.getTrustManagers()[0];
    }
}
