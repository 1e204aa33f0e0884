/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.List;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds {@link SSLContext}s from the files an operator has: a PEM certificate chain with a PKCS#8 private key
 * ({@code -----BEGIN PRIVATE KEY-----}, RSA or EC), or a PKCS#12 key store with its password; and, for verifying
 * peers, a trust store (a PEM bundle of CA certificates or a PKCS#12 file). Only TLSv1.3 and TLSv1.2 are ever
 * enabled: {@link #PROTOCOLS}, applied by {@link #configure(SSLEngine)} and {@link #parameters(SSLContext)}.
 * <p>
 * Start-up code only (it reads files and allocates); any thread. Every failure is an
 * {@link IllegalArgumentException} naming the file and the cause, for the operator.
 */
public final class TlsContexts
{
    /** The protocols every TLS engine, socket and HTTPS server of ours enables, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private static final String[] PROTOCOL_ARRAY = PROTOCOLS.toArray(new String[0]);
    /** The in-memory key store's entry password: the key never leaves this process, so any value serves. */
    private static final char[] ENTRY_PASSWORD = "tern".toCharArray();
    private static final String PEM_PRIVATE_KEY = "PRIVATE KEY";
    private static final String PEM_CERTIFICATE = "CERTIFICATE";

    private TlsContexts()
    {
    }

    /**
     * A context holding the key and chain from PEM files.
     *
     * @param certificateChain PEM file: the certificate, then any intermediates.
     * @param privateKey       PEM file with an unencrypted PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}).
     * @param trust            PEM CA bundle or PKCS#12 file to verify peers against; null for the JDK's default CAs.
     * @param trustPassword    the PKCS#12 trust store's password; null for none or a PEM bundle.
     * @return the context.
     * @throws IllegalArgumentException naming the file and what is wrong with it.
     */
    public static SSLContext fromPem(
        final Path certificateChain, final Path privateKey, final Path trust, final char[] trustPassword)
    {
        final X509Certificate[] chain = readCertificates(certificateChain);
        if (chain.length == 0)
        {
            throw new IllegalArgumentException("certificate=" + certificateChain + ": no CERTIFICATE block in it");
        }
        final PrivateKey key = readPrivateKey(privateKey);
        checkKeyMatches(key, chain[0], certificateChain, privateKey);
        try
        {
            final KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("tern", key, ENTRY_PASSWORD, chain);
            return context(keyManagers(keyStore, ENTRY_PASSWORD), trustManagers(trust, trustPassword));
        }
        catch (final GeneralSecurityException | IOException ex)
        {
            throw new IllegalArgumentException(
                "certificate=" + certificateChain + " key=" + privateKey + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * A context holding the key and chain of a PKCS#12 key store.
     *
     * @param keyStoreFile  the PKCS#12 file, with exactly one private key entry (the first is used if several).
     * @param password      its password (store and key).
     * @param trust         PEM CA bundle or PKCS#12 file to verify peers against; null for the JDK's default CAs.
     * @param trustPassword the PKCS#12 trust store's password; null for none or a PEM bundle.
     * @return the context.
     * @throws IllegalArgumentException naming the file and what is wrong with it.
     */
    public static SSLContext fromPkcs12(
        final Path keyStoreFile, final char[] password, final Path trust, final char[] trustPassword)
    {
        final KeyStore keyStore = loadPkcs12(keyStoreFile, password);
        try
        {
            boolean hasKey = false;
            for (final Enumeration<String> aliases = keyStore.aliases(); aliases.hasMoreElements(); )
            {
                hasKey |= keyStore.isKeyEntry(aliases.nextElement());
            }
            if (!hasKey)
            {
                throw new IllegalArgumentException("keystore=" + keyStoreFile + ": no private key entry in it");
            }
            return context(keyManagers(keyStore, password), trustManagers(trust, trustPassword));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("keystore=" + keyStoreFile + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * A context with no key of its own, for a client that only verifies the server.
     *
     * @param trust         PEM CA bundle or PKCS#12 file to verify peers against; null for the JDK's default CAs.
     * @param trustPassword the PKCS#12 trust store's password; null for none or a PEM bundle.
     * @return the context.
     */
    public static SSLContext forTrustOnly(final Path trust, final char[] trustPassword)
    {
        try
        {
            return context(null, trustManagers(trust, trustPassword));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("trust=" + trust + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Restricts an engine to {@link #PROTOCOLS}.
     *
     * @param engine a new engine.
     * @return the engine.
     */
    public static SSLEngine configure(final SSLEngine engine)
    {
        engine.setEnabledProtocols(PROTOCOL_ARRAY);
        return engine;
    }

    /**
     * @param context a context.
     * @return its default parameters restricted to {@link #PROTOCOLS}, e.g. for an {@code HttpsConfigurator} or an
     * {@code SSLSocket}.
     */
    public static SSLParameters parameters(final SSLContext context)
    {
        final SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(PROTOCOL_ARRAY);
        return parameters;
    }

    /**
     * Reads every {@code CERTIFICATE} block of a PEM file.
     *
     * @param file the PEM file.
     * @return its certificates in file order; empty if it has none.
     */
    public static X509Certificate[] readCertificates(final Path file)
    {
        final List<byte[]> blocks = pemBlocks(file, PEM_CERTIFICATE);
        final X509Certificate[] certificates = new X509Certificate[blocks.size()];
        try
        {
            final CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (int i = 0; i < certificates.length; i++)
            {
                certificates[i] = (X509Certificate)factory.generateCertificate(new ByteArrayInputStream(blocks.get(i)));
            }
            return certificates;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("certificate=" + file + ": not an X.509 certificate: " +
                ex.getMessage(), ex);
        }
    }

    /**
     * Reads an unencrypted PKCS#8 private key (RSA, EC, RSASSA-PSS, Ed25519 or Ed448) from a PEM file.
     *
     * @param file the PEM file.
     * @return the key.
     */
    public static PrivateKey readPrivateKey(final Path file)
    {
        final String text = readText(file);
        if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----"))
        {
            throw new IllegalArgumentException("key=" + file + ": a traditional (PKCS#1/SEC1) key; convert it to " +
                "PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem");
        }
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        {
            throw new IllegalArgumentException("key=" + file + ": an encrypted key; decrypt it to PKCS#8 with: " +
                "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem, or use a PKCS#12 key store");
        }
        final List<byte[]> blocks = pemBlocks(text, PEM_PRIVATE_KEY, file);
        if (blocks.size() != 1)
        {
            throw new IllegalArgumentException("key=" + file + ": expected one -----BEGIN PRIVATE KEY----- block, found " +
                blocks.size());
        }
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(blocks.get(0));
        for (final String algorithm : new String[]{"RSA", "EC", "RSASSA-PSS", "Ed25519", "Ed448"})
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            }
            catch (final GeneralSecurityException ignore)
            {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException("key=" + file + ": not an RSA or EC PKCS#8 private key");
    }

    private static SSLContext context(final KeyManager[] keyManagers, final TrustManager[] trustManagers)
        throws GeneralSecurityException
    {
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers, trustManagers, null);
        return context;
    }

    private static KeyManager[] keyManagers(final KeyStore keyStore, final char[] password)
        throws GeneralSecurityException
    {
        final KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keyStore, password);
        return factory.getKeyManagers();
    }

    /** @return trust managers for the file, or null (the JDK's default CAs) when there is none. */
    private static TrustManager[] trustManagers(final Path trust, final char[] password)
        throws GeneralSecurityException
    {
        if (null == trust)
        {
            return null;
        }
        final KeyStore trustStore;
        if (readText(trust).contains("-----BEGIN "))
        {
            final X509Certificate[] cas = readCertificates(trust);
            if (cas.length == 0)
            {
                throw new IllegalArgumentException("trust=" + trust + ": no CERTIFICATE block in it");
            }
            try
            {
                trustStore = KeyStore.getInstance("PKCS12");
                trustStore.load(null, null);
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
            for (int i = 0; i < cas.length; i++)
            {
                trustStore.setCertificateEntry("ca-" + i, cas[i]);
            }
        }
        else
        {
            trustStore = loadPkcs12(trust, password);
            int certificates = 0;
            for (final Enumeration<String> aliases = trustStore.aliases(); aliases.hasMoreElements(); )
            {
                certificates += trustStore.isCertificateEntry(aliases.nextElement()) ? 1 : 0;
            }
            if (certificates == 0)
            {
                throw new IllegalArgumentException("trust=" + trust + ": no trusted certificate entry in it");
            }
        }
        final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trustStore);
        return factory.getTrustManagers();
    }

    private static KeyStore loadPkcs12(final Path file, final char[] password)
    {
        try (InputStream in = Files.newInputStream(file))
        {
            final KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(in, password);
            return keyStore;
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("keystore=" + file + ": cannot read it as PKCS#12 (" +
                (null != ex.getCause() ? ex.getCause().getMessage() : ex.getMessage()) + ")", ex);
        }
    }

    /** Refuses a key that is not the certificate's: the handshake would fail later with a far vaguer error. */
    private static void checkKeyMatches(
        final PrivateKey key, final X509Certificate certificate, final Path certificateFile, final Path keyFile)
    {
        final PublicKey publicKey = certificate.getPublicKey();
        if (!publicKey.getAlgorithm().equals(key.getAlgorithm()))
        {
            throw new IllegalArgumentException("certificate=" + certificateFile + " key=" + keyFile +
                ": the key is " + key.getAlgorithm() + ", the certificate's is " + publicKey.getAlgorithm());
        }
        final String algorithm = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" :
            "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : null;
        if (null == algorithm)
        {
            return;
        }
        try
        {
            final byte[] probe = "tern key check".getBytes(StandardCharsets.US_ASCII);
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            if (!verifier.verify(signature))
            {
                throw new IllegalArgumentException("certificate=" + certificateFile + " key=" + keyFile +
                    ": the private key does not belong to the (first) certificate");
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("certificate=" + certificateFile + " key=" + keyFile + ": " +
                ex.getMessage(), ex);
        }
    }

    private static List<byte[]> pemBlocks(final Path file, final String type)
    {
        return pemBlocks(readText(file), type, file);
    }

    private static List<byte[]> pemBlocks(final String text, final String type, final Path file)
    {
        final String begin = "-----BEGIN " + type + "-----";
        final String end = "-----END " + type + "-----";
        final List<byte[]> blocks = new ArrayList<>();
        int from = 0;
        for (int start; (start = text.indexOf(begin, from)) >= 0; )
        {
            final int stop = text.indexOf(end, start);
            if (stop < 0)
            {
                throw new IllegalArgumentException("file=" + file + ": " + begin + " without " + end);
            }
            final String base64 = text.substring(start + begin.length(), stop).replaceAll("\\s", "");
            try
            {
                blocks.add(Base64.getDecoder().decode(base64));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("file=" + file + ": bad base64 in a " + type + " block", ex);
            }
            from = stop + end.length();
        }
        return blocks;
    }

    private static String readText(final Path file)
    {
        try
        {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("file=" + file + ": cannot read it: " + ex, ex);
        }
    }
}
