/* Helpers for core unit tests: a built test domain and access to its memory (test_domain.c). */
#ifndef TEST_DOMAIN_H
#define TEST_DOMAIN_H

#include "hv/builder.h"
#include "hv/mm.h"
#include "fake_arch.h"
#include "test_image.h"

#define TD_FRAMES 8192           /* a 32 MiB fake machine */
#define TD_MEMORY_KB (16 * 1024) /* the default domain size */
/*
 * The builder maps [0, 4 MiB) for a 16 MiB domain; everything from 2 MiB up
 * is free memory mapped RW|USER. Tests put argument structures at
 * TD_SCRATCH_VA and use the page below TD_STACK_TOP as a guest stack.
 */
#define TD_SCRATCH_VA 0x200000ULL
#define TD_STACK_TOP 0x380000ULL
#define TD_UNMAPPED_VA 0x500000ULL /* beyond the mapped region */

/* Fresh fake machine of nr_frames frames, then one domain built from the default image. */
struct domain *td_setup(void);
/* Build one more domain (default image) on the current machine; fails the test on error. */
struct domain *td_build(uint64_t memory_kb, const char *cmdline, unsigned int vcpus);

/* Walk v's kernel page table by hand: host pointer to the L1 entry for va (NULL if absent). */
uint64_t *td_l1e(struct vcpu *v, uint64_t va);
/* Host pointer to the byte at guest va (through the kernel table); fails the test if unmapped. */
void *td_ptr(struct vcpu *v, uint64_t va);
/* Machine frame that guest va maps to (kernel table). */
uint64_t td_mfn(struct vcpu *v, uint64_t va);

/* copy_to_guest / copy_from_guest that fail the test when the core refuses. */
void td_put(struct vcpu *v, uint64_t va, const void *src, size_t n);
void td_get(struct vcpu *v, void *dst, uint64_t va, size_t n);

/* hypercall_dispatch with the arguments spelled out. */
long td_hc(struct vcpu *v, unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
           uint64_t a4);

/* Fail the test unless mm_check_invariants() returns 0. */
void td_assert_invariants(void);

/* Allocate an extra frame owned by d (as the hypervisor would for tests); returns its mfn. */
uint64_t td_alloc_frame(struct domain *d);

#endif
