import { z } from 'zod';

/** Visually distinct page layouts (see render/layouts.ts). */
export const LAYOUT_IDS = ['classic', 'banner', 'letter', 'compact', 'serif-boxed'] as const;
export const LayoutIdSchema = z.enum(LAYOUT_IDS);
export type LayoutId = z.infer<typeof LayoutIdSchema>;
