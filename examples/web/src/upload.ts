/** Reserve an upload, PUT the photo's bytes to the signed URL, start the analysis. */
import { client } from './apollo';
import { Analyze, CreateUpload } from './operations';

export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

interface UploadError {
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function uploadAndAnalyse(file: File, hint: string): Promise<string> {
  if (!ACCEPTED_TYPES.includes(file.type)) {
    throw new Error(`${file.type || 'This file'}: only JPEG, PNG or WebP photos.`);
  }
  const reserved = await client.mutate({
    mutation: CreateUpload,
    variables: { input: { contentType: file.type, byteSize: file.size } },
  });
  const upload = reserved.data?.createImageUpload;
  if (!upload) throw new Error('No upload URL.');
  // Straight to the waste service (CORS allows this origin), never through GraphQL.
  const put = await fetch(upload.uploadUrl, {
    method: 'PUT',
    headers: { 'Content-Type': file.type },
    body: file,
  });
  if (!put.ok) {
    const body = (await put.json().catch(() => ({}))) as UploadError;
    throw new Error(body.errors?.[0]?.message ?? `Upload failed (${put.status}).`);
  }
  const started = await client.mutate({
    mutation: Analyze,
    variables: {
      input: {
        uploadId: upload.uploadId,
        hint: hint.trim() || null,
        // A retried click never starts a second analysis of the same upload.
        idempotencyKey: upload.uploadId,
      },
    },
  });
  const analysis = started.data?.analyzeWaste;
  if (!analysis) throw new Error('The analysis did not start.');
  return analysis.id;
}
