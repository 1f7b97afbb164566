import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../shared/paths.js';

/** Where every run of the console tests writes its screenshots: ignored by git, so a run leaves the tree clean. */
export const SCREENSHOT_ARTIFACTS = join(packageRoot(), 'test', 'artifacts');

/** The screenshots the READMEs show, tracked: rewritten only on request (`npm run screenshots`). */
const TRACKED_SCREENSHOTS = join(packageRoot(), 'cloud', 'ui', 'screenshots');

/** True when this run should also refresh the tracked screenshots (PLANTWATCH_UPDATE_SCREENSHOTS=1). */
export const updatingScreenshots = (): boolean => process.env.PLANTWATCH_UPDATE_SCREENSHOTS === '1';

/** Copies a screenshot from test/artifacts/ over its tracked copy in cloud/ui/screenshots/, when asked to. */
export function keepScreenshot(artifact: string, tracked: string): void {
  if (!updatingScreenshots()) return;
  mkdirSync(TRACKED_SCREENSHOTS, { recursive: true });
  copyFileSync(join(SCREENSHOT_ARTIFACTS, artifact), join(TRACKED_SCREENSHOTS, tracked));
}
