/**
 * The production ActivitySource: the activity's row from Athena, its story's phrases from the
 * story-phrase table, and its streamed segments from the speech bucket, joined into a manifest.
 */
import type { SegmentEntry } from '../../core/contracts/segmentManifest';
import { ActivityInputError } from '../../core/errors';
import type { ActivityManifest } from '../../core/pipeline/activity';
import type { ActivityRef, ActivitySource, LoadedActivity } from '../../core/ports/activitySource';
import type { Logger } from '../../core/ports/logger';
import { ACTIVITY_VIEW, type AthenaQueries } from './athena';
import type { S3SegmentStore } from './s3Audio';
import type { S3StoryPhrases } from './storyPhrases';

/** What {@link AwsActivitySource} reads from. */
export interface AwsActivitySourceDeps {
  readonly athena: Pick<AthenaQueries, 'findActivity'>;
  readonly stories: Pick<S3StoryPhrases, 'phrases'>;
  readonly segments: Pick<S3SegmentStore, 'listSegments' | 'audioSource'>;
}

/** Options of {@link AwsActivitySource}. */
export interface AwsActivitySourceOptions {
  /** Told about segments whose phrase is not in the story (they are ignored). */
  readonly logger?: Logger;
}

/** Loads an activity by id from Athena and S3. */
export class AwsActivitySource implements ActivitySource {
  constructor(
    private readonly deps: AwsActivitySourceDeps,
    private readonly options: AwsActivitySourceOptions = {},
  ) {}

  /**
   * The activity as a manifest: every story phrase with its items and the segments recorded for it
   * in sequence order (`segments: []` when none, which the pipeline reports unscored `no-audio`).
   */
  async load(ref: ActivityRef): Promise<LoadedActivity> {
    const activityId = ref.activityId;
    if (!activityId) throw new ActivityInputError('missing-activity-id', 'activity reference', 'the AWS source needs an activityId');
    const source = `athena:${ACTIVITY_VIEW.name}/${activityId}`;
    const activity = await this.deps.athena.findActivity(activityId);
    if (activity.type !== ACTIVITY_VIEW.type) {
      throw new ActivityInputError('unsupported-activity-type', source, `type "${activity.type}" is not scored (only ${ACTIVITY_VIEW.type})`);
    }
    const [phrases, segments] = await Promise.all([this.deps.stories.phrases(activity.storyId), this.deps.segments.listSegments(activityId)]);
    const byPhrase = new Map<number, SegmentEntry[]>();
    for (const phrase of phrases) byPhrase.set(phrase.phraseIndex, []);
    const strays: SegmentEntry[] = [];
    for (const segment of segments) {
      const list = byPhrase.get(segment.phraseIndex);
      if (list) list.push(segment);
      else strays.push(segment);
    }
    if (strays.length) {
      this.options.logger?.warn('ignoring segments whose phrase is not in the story', {
        activityId,
        storyId: activity.storyId,
        ...(ref.correlationId ? { correlationId: ref.correlationId } : {}),
        segments: strays.map((s) => ({ key: s.key, phraseIndex: s.phraseIndex })),
      });
    }
    const manifest: ActivityManifest = {
      activityId,
      storyId: activity.storyId,
      phrases: phrases.map((phrase) => ({
        phraseIndex: phrase.phraseIndex,
        items: [...phrase.items],
        segments: [...(byPhrase.get(phrase.phraseIndex) ?? [])]
          .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
          .map((s) => ({ audio: s.key, sequenceNumber: s.sequenceNumber })),
      })),
    };
    return {
      manifest,
      audio: this.deps.segments.audioSource(activityId),
      source,
      attributes: { studentId: activity.studentId, districtId: activity.districtId, createdAt: activity.createdAt },
    };
  }
}
