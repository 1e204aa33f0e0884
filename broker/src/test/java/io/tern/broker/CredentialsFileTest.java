/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The credentials file holds to the protocol's name rule: {@code adduser} refuses a name that looks like another, and
 * a file holding one (edited by hand) is refused, naming the line and the name escaped.
 */
@Timeout(30)
class CredentialsFileTest
{
    private static final int TEST_ITERATIONS = 1_000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "alice\u00a0", "\ufeffalice", "\u0430lice", "\u202eecila", "al\u200bice", "alice\u0301",
        "ali\u0085ce" })
    void shouldRefuseToAddALookalikeName(final String name)
    {
        final Path file = dir.resolve("users.txt");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> CredentialsFile.addUser(file, name, "s3cret".toCharArray(), TEST_ITERATIONS));
        assertTrue(ex.getMessage().startsWith("invalid name '"), ex.getMessage());
        // Escaped as the log shows names: visible letters stay, invisible and control characters become \\u{...}.
        assertTrue(ex.getMessage().codePoints().allMatch(c -> c >= 0x20 && c != 0x7F && Character.getType(c) !=
            Character.CONTROL && Character.getType(c) != Character.FORMAT && c != 0xA0), "escaped: " + ex.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void shouldRefuseAFileHoldingALookalikeName() throws Exception
    {
        final Path file = dir.resolve("users.txt");
        CredentialsFile.addUser(file, "alice", "s3cret".toCharArray(), TEST_ITERATIONS);
        CredentialsFile.addUser(file, "zo\u00eb", "s3cret".toCharArray(), TEST_ITERATIONS);
        assertEquals(2, CredentialsFile.load(file).size());

        // An editor copies alice's entry under a name with a right-to-left override.
        final String aliceEntry = Files.readAllLines(file).stream().filter(l -> l.startsWith("alice:")).findFirst()
            .orElseThrow();
        Files.writeString(file, "\u202e" + aliceEntry + "\n", java.nio.file.StandardOpenOption.APPEND);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> CredentialsFile.load(file));
        assertTrue(ex.getMessage().contains(" line 4: invalid name '\\u{202E}alice': contains an invisible or " +
            "bidi-control character"), ex.getMessage());
    }
}
