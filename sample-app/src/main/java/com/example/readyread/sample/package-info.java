/**
 * Demo of the ready-read transport: a file download service, its client, and a live chart
 * of the shared pool.
 */
@NullMarked
package com.example.readyread.sample;

import org.jspecify.annotations.NullMarked;
