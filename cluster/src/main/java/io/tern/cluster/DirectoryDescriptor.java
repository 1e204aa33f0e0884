/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

/**
 * The messages between a node and the name directory, both ways, one layout for the {@link NameDirectory} service and
 * the node's {@link ClusterAgent}. Little-endian; a name runs from its offset to the end of the message.
 * <pre>
 *   ingress (node to directory)                      egress (directory to node)
 *   CLAIM    | type | claim id (8) | node (4) | name   GRANTED  | type | claim id (8)
 *   RELEASE  | type | node (4) | name                  TAKEN    | type | claim id (8)
 *   HELLO    | type | node (4)                         HELD     | type | node (4) | name
 *   PING     | type                                    RELEASED | type | node (4) | name
 *                                                      PONG     | type
 * </pre>
 * {@code type} is an int at offset 0.
 */
final class DirectoryDescriptor
{
    static final int CLAIM = 1;
    static final int RELEASE = 2;
    static final int HELLO = 3;
    static final int PING = 4;

    static final int GRANTED = 11;
    static final int TAKEN = 12;
    static final int HELD = 13;
    static final int RELEASED = 14;
    static final int PONG = 15;

    static final int TYPE_OFFSET = 0;
    /** CLAIM, GRANTED, TAKEN. */
    static final int CLAIM_ID_OFFSET = 4;
    /** CLAIM: the node, then the name. */
    static final int CLAIM_NODE_OFFSET = 12;
    static final int CLAIM_NAME_OFFSET = 16;
    /** RELEASE, HELLO, HELD, RELEASED: the node, then the name. */
    static final int NODE_OFFSET = 4;
    static final int NAME_OFFSET = 8;
    /** Longest message: a claim of the longest name. */
    static final int MAX_LENGTH = CLAIM_NAME_OFFSET + 1024;

    private DirectoryDescriptor()
    {
    }
}
