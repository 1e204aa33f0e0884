/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

import io.tern.transport.FirstLineVerifier;
import io.tern.transport.Protocol;

/**
 * Names and salted password hashes for optional authentication, one user a line:
 * <pre>
 *   # name:iterations:salt:hash   (salt and hash in base64; PBKDF2WithHmacSHA256, 256-bit hash)
 *   alice:210000:3q2+7w...==:k9r1...=
 * </pre>
 * Secrets are never stored or logged; a first line {@code name secret} (split at its last space, since secrets hold
 * no spaces) is checked by deriving the hash again and comparing in constant time. An unknown name costs the same
 * derivation as a known one (the iterations most entries of the file have), so timing does not tell which names
 * exist. Verification runs on the transport's {@code verifier-N} threads, several at once: an instance is immutable
 * once loaded. The broker reads the file at start-up and again when it changes ({@link ReloadableCredentials}).
 * <p>
 * Names follow the protocol's name rule ({@link Protocol#checkName(String, int)}), spaces inside a name included:
 * the login line splits at its last space, so they cannot be mistaken for the secret. This file's format adds one
 * rule of its own: a name does not start with {@code #}, which marks a comment line.
 */
public final class CredentialsFile implements FirstLineVerifier
{
    /** Iterations for new entries; per-entry iterations are kept, so this can rise without invalidating old ones. */
    public static final int DEFAULT_ITERATIONS = 210_000;
    /**
     * Most iterations accepted for an entry by default: about 5 x the default, some 0.3 to 0.5 s of one core per check,
     * so an entry cannot make one check take seconds.
     */
    public static final int DEFAULT_MAX_ITERATIONS = 1_000_000;
    private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final String COMMENT = "#";

    private record Entry(int iterations, byte[] salt, byte[] hash)
    {
    }

    private final Map<String, Entry> entries;
    private final Entry decoy;

    private CredentialsFile(final Map<String, Entry> entries)
    {
        this.entries = entries;
        final byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        this.decoy = new Entry(commonIterations(entries), salt, new byte[HASH_BITS / 8]);
    }

    /** @return the iterations most entries have (the default for an empty file): what an unknown name costs. */
    private static int commonIterations(final Map<String, Entry> entries)
    {
        final Map<Integer, Integer> counts = new HashMap<>();
        int common = DEFAULT_ITERATIONS;
        int most = 0;
        for (final Entry entry : entries.values())
        {
            final int count = counts.merge(entry.iterations, 1, Integer::sum);
            if (count > most)
            {
                most = count;
                common = entry.iterations;
            }
        }
        return common;
    }

    /**
     * Reads a credentials file, accepting at most {@link #DEFAULT_MAX_ITERATIONS} per entry.
     *
     * @param file the file.
     * @return the credentials.
     * @throws IOException if it cannot be read.
     * @throws IllegalArgumentException naming the line that is malformed.
     */
    public static CredentialsFile load(final Path file) throws IOException
    {
        return load(file, DEFAULT_MAX_ITERATIONS);
    }

    /**
     * Reads a credentials file.
     *
     * @param file          the file.
     * @param maxIterations most iterations an entry may have ({@code --auth-max-iterations}).
     * @return the credentials.
     * @throws IOException if it cannot be read.
     * @throws IllegalArgumentException naming the line that is malformed or costs more than {@code maxIterations}.
     */
    public static CredentialsFile load(final Path file, final int maxIterations) throws IOException
    {
        final Map<String, Entry> entries = new HashMap<>();
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith(COMMENT))
            {
                continue;
            }
            final String[] parts = line.split(":");
            try
            {
                if (parts.length != 4)
                {
                    throw new IllegalArgumentException("expected name:iterations:salt:hash");
                }
                final int iterations = Integer.parseInt(parts[1]);
                if (iterations < 1)
                {
                    throw new IllegalArgumentException("iterations must be positive");
                }
                if (iterations > maxIterations)
                {
                    throw new IllegalArgumentException(iterations + " iterations, more than auth-max-iterations=" +
                        maxIterations + " allows (a check would take too long)");
                }
                entries.put(parts[0], new Entry(iterations, Base64.getDecoder().decode(parts[2]),
                    Base64.getDecoder().decode(parts[3])));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + ex.getMessage());
            }
        }
        return new CredentialsFile(entries);
    }

    /** @return how many users the file names. */
    public int size()
    {
        return entries.size();
    }

    /**
     * Adds a user to the file, or replaces its entry; creates the file (owner read/write only) if needed.
     *
     * @param file       the credentials file.
     * @param name       a valid peer name (see the class comment); its length is checked when a client logs in, against
     *                   the broker's {@code --max-name-bytes}, which this file does not know.
     * @param secret     the secret: no spaces, not empty.
     * @param iterations PBKDF2 iterations.
     * @throws IOException if the file cannot be written.
     * @throws IllegalArgumentException for an invalid name or secret, saying why.
     */
    public static void addUser(final Path file, final String name, final char[] secret, final int iterations)
        throws IOException
    {
        final Protocol.NameError invalid = Protocol.checkName(name, Integer.MAX_VALUE);
        if (null != invalid)
        {
            throw new IllegalArgumentException("invalid name '" + name + "': " + invalid.reason(Integer.MAX_VALUE));
        }
        if (name.startsWith(COMMENT))
        {
            throw new IllegalArgumentException("invalid name '" + name + "': starts with '" + COMMENT +
                "', which marks a comment in a credentials file");
        }
        if (secret.length == 0 || new String(secret).chars().anyMatch(c -> c == ' ' || c == '\t' || c < 0x20))
        {
            throw new IllegalArgumentException("a secret must be non-empty, with no spaces or control characters");
        }
        final byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        final String entry = name + ":" + iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":" +
            Base64.getEncoder().encodeToString(derive(secret, salt, iterations));

        final List<String> lines = new ArrayList<>();
        if (Files.exists(file))
        {
            for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                if (!line.startsWith(name + ":"))
                {
                    lines.add(line);
                }
            }
        }
        else
        {
            lines.add("# tern credentials: name:iterations:salt:hash (PBKDF2WithHmacSHA256). Secrets are not stored.");
        }
        lines.add(entry);

        final Path parent = file.toAbsolutePath().getParent();
        final Path temp = Files.createTempFile(parent, ".tern-credentials", ".tmp");
        try
        {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        }
        catch (final UnsupportedOperationException ignore)
        {
            // not a POSIX file system
        }
        Files.write(temp, lines, StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public int verify(final byte[] line, final int offset, final int length)
    {
        int end = offset + length;
        while (end > offset && Protocol.isBlank(line[end - 1]))
        {
            end--;
        }
        int space = end - 1;
        while (space >= offset && !Protocol.isBlank(line[space]))
        {
            space--;
        }
        if (space < offset || space == end - 1)
        {
            decoyDerivation();
            return -1; // no secret
        }
        int nameEnd = space;
        while (nameEnd > offset && Protocol.isBlank(line[nameEnd - 1]))
        {
            nameEnd--;
        }
        int nameStart = offset;
        while (nameStart < nameEnd && Protocol.isBlank(line[nameStart]))
        {
            nameStart++;
        }

        final String name = new String(line, nameStart, nameEnd - nameStart, StandardCharsets.UTF_8);
        final char[] secret = new String(line, space + 1, end - space - 1, StandardCharsets.UTF_8).toCharArray();
        final Entry known = entries.get(name);
        final Entry entry = null == known ? decoy : known;
        final byte[] derived = derive(secret, entry.salt, entry.iterations);
        java.util.Arrays.fill(secret, '\0');
        final boolean match = MessageDigest.isEqual(derived, entry.hash);
        return null != known && match ? nameEnd - offset : -1;
    }

    private void decoyDerivation()
    {
        derive(new char[] {'x'}, decoy.salt, decoy.iterations);
    }

    private static byte[] derive(final char[] secret, final byte[] salt, final int iterations)
    {
        final PBEKeySpec spec = new PBEKeySpec(secret, salt, iterations, HASH_BITS);
        try
        {
            return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ALGORITHM + " unavailable", ex);
        }
        finally
        {
            spec.clearPassword();
        }
    }
}
