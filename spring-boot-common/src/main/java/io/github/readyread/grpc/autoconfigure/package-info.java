/**
 * Configuration shared by both Spring Boot integrations: the {@code grpc.ready-read}
 * properties and the bean definitions each integration imports.
 */
@NullMarked
package io.github.readyread.grpc.autoconfigure;

import org.jspecify.annotations.NullMarked;
