// Shared pieces of the EC2 integration tests.

/** The error a call fails with (fails the test if it succeeds). */
export const fail = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => e,
  );
