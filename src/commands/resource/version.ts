/**
 * A kind's versions as people count them (the first is 1): the kit reads and writes them through
 * these, which are the platform's one mapping between stream revisions and versions.
 */
export { versionOfRevision as versionOf, revisionOfVersion, checkedVersion } from '../../events/versions.js';
