// Types for the tests that read the bench's generated manifests (test/manifest/plain-documents.test.ts).
export declare function documentAt(i: number): string
export declare function fileOf(documents: string[]): string
